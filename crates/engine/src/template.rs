//! The chat template: the GGUF's own `tokenizer.chat_template` (Jinja, as Hugging Face writes
//! them) rendered with minijinja and its Python-compatible methods; a model without one gets
//! ChatML.

use minijinja::{Environment, Error, ErrorKind, context};
use serde::Serialize;

/// ChatML, for models whose file has no template.
const CHATML: &str = "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/// One message as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// Its text.
    pub content: String,
}

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

fn raise_exception(message: String) -> Result<String, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

impl ChatTemplate {
    /// Compiles `source` (or ChatML); a template that does not compile is an error naming why.
    pub fn new(source: Option<&str>, bos: &str, eos: &str) -> Result<Self, String> {
        let mut env = Environment::new();
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", |format: String| {
            // Templates ask for today's date; the engine has no clock preference.
            format.replace("%d %B %Y", "01 January 2026")
        });
        env.add_template_owned("chat", source.unwrap_or(CHATML).to_owned())
            .map_err(|e| format!("the model's chat template does not compile: {e}"))?;
        Ok(Self {
            env,
            bos: bos.to_owned(),
            eos: eos.to_owned(),
        })
    }

    /// The prompt for `messages`, ending where the assistant's answer begins.
    pub fn render(&self, messages: &[Message]) -> Result<String, String> {
        let template = self
            .env
            .get_template("chat")
            .map_err(|e| format!("the chat template is missing: {e}"))?;
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => &self.bos,
                eos_token => &self.eos,
            })
            .map_err(|e| format!("the model's chat template refused the messages: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: &str, content: &str) -> Message {
        Message {
            role: role.into(),
            content: content.into(),
        }
    }

    #[test]
    fn chatml_is_the_fallback_and_python_methods_work_in_templates() {
        let chatml = ChatTemplate::new(None, "", "").unwrap();
        assert_eq!(
            chatml.render(&[msg("user", "Hi")]).unwrap(),
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
        let python = "{{ bos_token }}{% for m in messages %}{{ m.role.upper() }}: {{ m.content.strip() }}\n{% endfor %}";
        let t = ChatTemplate::new(Some(python), "<s>", "</s>").unwrap();
        assert_eq!(t.render(&[msg("user", "  Hi ")]).unwrap(), "<s>USER: Hi\n");
        let strict =
            "{% if messages[0].role != 'user' %}{{ raise_exception('user first') }}{% endif %}ok";
        let t = ChatTemplate::new(Some(strict), "", "").unwrap();
        assert!(
            t.render(&[msg("assistant", "x")])
                .unwrap_err()
                .contains("user first")
        );
        assert!(ChatTemplate::new(Some("{% for %}"), "", "").is_err());
    }
}
